package extract

import "testing"

// A TODO that doc --write inserts above a step's first line must not rename the step.
func TestFirstCommentSkipsNotes(t *testing.T) {
	for body, want := range map[string]string{
		"// TODO: check the empty case\n// load the rows\nx := 1": "load the rows",
		"\n  // FIXME nil map\n// score customers\n":              "score customers",
		"// todo: lower case too\nx := 1":                         "",
		"// count rows\n// TODO: later":                           "count rows",
		"x := 1 // TODO: not a first comment":                     "",
	} {
		if got := firstComment(body); got != want {
			t.Errorf("firstComment(%q) = %q, want %q", body, got, want)
		}
	}
}
