package httpapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestOpenAPIDescribesStructs checks that a JSON body of a library struct type is described
// field by field, following encoding/json's rules for names, tags and unexported fields.
func TestOpenAPIDescribesStructs(t *testing.T) {
	spec := Spec{
		Module: "example.com/demo", PkgPath: "example.com/demo/demo", PkgName: "demo",
		Routes: []Route{{
			Func:    "Distance",
			Params:  []Param{{Name: "p", GoType: "demo.Point", Kind: JSON}},
			Results: []Result{{GoType: "float64"}},
		}},
		Types: map[string]string{
			"Point": "struct {\n\tX    float64 `json:\"x\"`\n\tY    float64\n\tnote string\n\tTags []string `json:\"tags,omitempty\"`\n\tSkip int `json:\"-\"`\n\tNext *Point\n}",
		},
	}
	files, err := Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct {
							Properties map[string]map[string]any `json:"properties"`
							GoType     string                    `json:"x-decant-go-type"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(files["openapi.json"], &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Paths["/v1/distance"]["post"].RequestBody.Content["application/json"].Schema.Properties["p"]
	if p.GoType != "demo.Point" {
		t.Errorf("x-decant-go-type = %q, want demo.Point", p.GoType)
	}
	var keys []string
	for k := range p.Properties {
		keys = append(keys, k)
	}
	want := map[string]bool{"x": true, "Y": true, "tags": true, "Next": true}
	got := map[string]bool{}
	for _, k := range keys {
		got[k] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("properties %v, want %v", keys, want)
	}
	if p.Properties["x"]["type"] != "number" || p.Properties["tags"]["type"] != "array" {
		t.Errorf("field schemas: x=%v tags=%v", p.Properties["x"], p.Properties["tags"])
	}
	// The recursive field falls back to naming the type instead of recursing forever.
	if p.Properties["Next"]["x-decant-go-type"] == nil {
		t.Errorf("Next = %v, want a reference by Go type", p.Properties["Next"])
	}
}
