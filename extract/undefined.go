package extract

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/decant-go/decant/extract/internal/stdpkgs"
)

// undefinedSelRE matches the compiler's "undefined: pkg.Name".
var undefinedSelRE = regexp.MustCompile(`^undefined: ([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$`)

// ExplainUndefined adds the cause and the fix to build problems that name something a library
// does not have ("undefined: gonbui.ConnectToJupyterServer"): the module version the service
// was built against, and, when the notebook pointed the kernel at a local checkout that is not
// on this machine (go work use, go mod edit -replace), that the author's checkout probably had
// it. A bare name that only a %wasm cell declares is explained as such.
func (p *Plan) ExplainUndefined(probs []Problem, mc *ModuleContext) {
	if mc == nil {
		mc = &ModuleContext{}
	}
	var missing []Decision // local checkouts the notebook used that are not here
	for _, d := range append(append([]Decision(nil), mc.Notes...), p.Decisions...) {
		if d.Action == "warning" && strings.Contains(d.Reason, "is not a module directory on this machine") {
			missing = append(missing, d)
		}
	}
	for i, pr := range probs {
		if name, ok := strings.CutPrefix(pr.Msg, "undefined: "); ok && pr.Cell >= 0 {
			if w := p.wasmDeclaring(name); w != nil {
				probs[i].Msg = fmt.Sprintf("%s: it is declared by the %%wasm cell %d, whose code is built for the browser only (%s); declare it in a cell of the service too", pr.Msg, w.Cell, w.Dir)
				continue
			}
		}
		m := undefinedSelRE.FindStringSubmatch(pr.Msg)
		if m == nil || pr.Cell < 0 {
			continue
		}
		ip := p.importNamed(pr.Cell, m[1])
		if ip == "" {
			continue
		}
		if _, std := stdpkgs.Name(ip); std {
			continue
		}
		mod, ver := "", ""
		for rm, v := range mc.Requires {
			if (ip == rm || strings.HasPrefix(ip, rm+"/")) && len(rm) > len(mod) {
				mod, ver = rm, v
			}
		}
		if mod == "" || mc.Local[mod] != "" {
			continue // resolved by go mod tidy, or from a local directory that is here
		}
		msg := fmt.Sprintf("%s: not in %s@%s", pr.Msg, mod, ver)
		if len(missing) > 0 {
			d := missing[0]
			msg += fmt.Sprintf("; the notebook ran against a local checkout that is not on this machine (cell %d, line %d)", d.Cell, d.Line)
			msg += fmt.Sprintf("; fix: --replace %s=DIR with that checkout, --pin %s@VERSION with a version that has it, or --skip %d", mod, mod, pr.Cell)
		} else {
			msg += fmt.Sprintf(" (%s); fix: --pin %s@VERSION with a version that has it, or --skip %d", mc.From[mod], mod, pr.Cell)
		}
		probs[i].Msg = msg
	}
}

// importNamed is the path a cell (or, failing that, the notebook) imports under name.
func (p *Plan) importNamed(cell int, name string) string {
	for _, imp := range p.cellImports[cell] {
		if importName(imp) == name {
			return imp.Path
		}
	}
	for _, imp := range p.Imports {
		if importName(imp) == name {
			return imp.Path
		}
	}
	return ""
}

// wasmDeclaring returns the %wasm cell that declares name, if any.
func (p *Plan) wasmDeclaring(name string) *WasmProgram {
	for _, w := range p.Wasm {
		for _, d := range w.decls {
			for _, n := range d.Names {
				if n == name {
					return w
				}
			}
		}
	}
	return nil
}
