package cli

// extraCommands lists the subcommands beyond extract and plan.
func extraCommands() []command {
	var cmds []command
	cmds = append(cmds, docCommands()...)
	cmds = append(cmds, refactorCommands()...)
	cmds = append(cmds, serviceCommands()...)
	cmds = append(cmds, kernelCommands()...)
	cmds = append(cmds, runCommands()...)
	cmds = append(cmds, cleanCommands()...)
	cmds = append(cmds, syncCommands()...)
	return cmds
}
