package cli

// extraCommands lists the subcommands beyond extract and plan.
func extraCommands() []command {
	return nil
}
