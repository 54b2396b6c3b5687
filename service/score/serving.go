package score

import (
	"go/ast"
	"go/token"
	"strconv"
)

// Serving from a versioned artifact and watching its age: the items a service that trains in a
// batch job and serves what it saved can show by itself.

// checkRollback is I7: serving models can be rolled back. Half a point when a command takes
// the artifact version to serve (-model-version), the full point when a test also loads an
// older version by name after a newer one became current, and checks what it got.
func checkRollback(r *repo) Item {
	var it Item
	var flagAt, testAt string
	for _, p := range r.paths {
		f := r.files[p]
		if f.ast.Name.Name == "main" && !f.test && flagAt == "" {
			ast.Inspect(f.ast, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && flagAt == "" {
					if s, _ := strconv.Unquote(lit.Value); s == "model-version" {
						flagAt = r.pos(lit.Pos())
					}
				}
				return true
			})
		}
		if !f.test {
			continue
		}
		for _, d := range f.ast.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil || testAt != "" || !isTestName(fd.Name.Name) {
				continue
			}
			loadsVersion, asserts := false, false
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				switch calleeName(call) {
				case "Load":
					if len(call.Args) >= 3 {
						if lit, ok := call.Args[len(call.Args)-1].(*ast.BasicLit); !ok || lit.Value != `""` {
							loadsVersion = true
						}
					}
				case "Fatal", "Fatalf", "Error", "Errorf", "Fail", "FailNow":
					asserts = true
				}
				return true
			})
			if loadsVersion && asserts {
				testAt = r.pos(fd.Pos())
			}
		}
	}
	if flagAt == "" {
		it.Missing = []string{"no command takes the artifact version to serve (-model-version): the server can only serve the latest model"}
		return it
	}
	it.Points = 0.5
	it.Evidence = append(it.Evidence, Evidence{Where: flagAt, What: "the server loads a pinned artifact version (-model-version, $MODEL_VERSION)"})
	if testAt == "" {
		it.Missing = []string{"no test loads an older artifact version by name and checks it"}
		return it
	}
	it.Points = 1
	it.Evidence = append(it.Evidence, Evidence{Where: testAt, What: "a test loads an older version by name after a newer one became current"})
	return it
}

// checkStaleness is Mon4: models are not too stale. Half a point when the server exports the
// creation time of the model it serves as a metric, so that its age can be watched; the alert
// on that age lives in the production monitoring, which the repository does not hold.
func checkStaleness(r *repo) Item {
	var it Item
	for _, p := range r.paths {
		f := r.files[p]
		if f.test {
			continue
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && it.Points == 0 {
				if s, _ := strconv.Unquote(lit.Value); s == "artifact_created_timestamp_seconds" {
					it.Points = 0.5
					it.Evidence = append(it.Evidence, Evidence{Where: r.pos(lit.Pos()), What: "the server exports when its model was trained (artifact_created_timestamp_seconds)"})
				}
			}
			return true
		})
	}
	if it.Points == 0 {
		it.Missing = []string{"the server does not export its model's age as a metric"}
		return it
	}
	it.Missing = []string{"an alert on time() - artifact_created_timestamp_seconds needs the production monitoring"}
	return it
}

// calleeName is the name of the function a call calls: f for f(...) and x.f(...).
func calleeName(call *ast.CallExpr) string {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}
