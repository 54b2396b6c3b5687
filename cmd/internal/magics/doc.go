// Package magics holds the %decant magics that need Decant's own
// packages: plan, doc and dupes. The kernel (kernel/proxy) knows none of
// them; the command line registers them when it serves the kernel:
//
//	proxy.RunOptions{Magics: magics.All()}
//
// A new magic is a [proxy.Magic] value: a one-line summary for
// %decant help, and a Run function that gets the words after its name and
// a [proxy.MagicEnv] (the notebook's path, stdout and stderr streams). It
// returns the cell's result or an error the notebook shows. Run's context
// is cancelled when the user interrupts the cell.
package magics
