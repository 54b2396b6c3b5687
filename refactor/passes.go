package refactor

import "fmt"

// Pass is one refactoring: its name (as --refactor spells it), what it does, and the function
// that computes its changes and notes on the module as it currently is. Run applies the
// changes one by one, each verified.
type Pass struct {
	Name string
	Doc  string
	run  func(*runner) ([]Change, []string, error)
}

// passes lists every pass in the order Run applies them: duplicates are unified before the
// I/O they contain is narrowed, hoisted and lifted into config, and modernize tidies last.
// Each pass lives in the file named after it.
var passes = []Pass{
	{PassUnify, "clone groups become one function: a pasted function is removed and its callers call the original; a repeated run of statements becomes a function with what differs as parameters", (*runner).unifyPass},
	{PassSQL, "SELECT * in a database/sql query becomes the columns the code reads, taken from the SQLite database the code opens", (*runner).sqlPass},
	{PassHoist, "the same sql.Open, http.Client literal or os.Open in several functions of a package becomes one shared accessor", (*runner).hoistPass},
	{PassConfig, "hard-coded paths, DSNs, URLs and ports become fields of a Config filled from flags and the environment; secrets get no default", (*runner).configPass},
	{PassModernize, "the fixes of golang.org/x/tools/go/analysis/passes/modernize", (*runner).modernizePass},
}

// Passes returns every pass, in the order Run applies them.
func Passes() []Pass { return append([]Pass(nil), passes...) }

func passNames() []string {
	names := make([]string, len(passes))
	for i, p := range passes {
		names[i] = p.Name
	}
	return names
}

// runPass computes the changes of the named pass.
func (r *runner) runPass(name string) ([]Change, []string, error) {
	for _, p := range passes {
		if p.Name == name {
			return p.run(r)
		}
	}
	return nil, nil, fmt.Errorf("unknown pass %q", name)
}
