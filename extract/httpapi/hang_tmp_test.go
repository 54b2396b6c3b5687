package httpapi

import (
	"fmt"
	"testing"
	"time"
)

func FuzzHangTmp(f *testing.F) {
	f.Add("Score", "features", "[]float64", "[1]", "GET")
	f.Add("CalcProbabilities", "age", "float64", "42.5", "")
	f.Add("Lookup", "plan", "lib.Plan", "", "POST")
	f.Add("X", "json", "map[string]lib.T", "{}", "")
	f.Fuzz(func(t *testing.T, fn, param, typ, example, method string) {
		tm := time.AfterFunc(2*time.Second, func() { panic(fmt.Sprintf("HANG %q %q %q %q %q", fn, param, typ, example, method)) })
		defer tm.Stop()
		s := minimalSpec()
		s.Routes[0].Func = fn
		s.Routes[0].Method = method
		s.Routes[0].Params = []Param{{Name: param, GoType: typ, Example: example}}
		Render(s)
	})
}
