package cli

func extraCommands() []command { return nil }
