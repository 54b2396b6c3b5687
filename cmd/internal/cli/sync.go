package cli

func syncCommands() []command { return nil }
