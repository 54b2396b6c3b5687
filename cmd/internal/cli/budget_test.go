package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/extract/pipeline"
)

func TestParseBudgets(t *testing.T) {
	got, err := parseBudgets(map[string]string{"refactor": "2m", "outputs": "30s"})
	if err != nil {
		t.Fatal(err)
	}
	if got[pipeline.StageRefactor] != 2*time.Minute || got[pipeline.StageOutputs] != 30*time.Second || len(got) != 2 {
		t.Errorf("parseBudgets = %v", got)
	}
	if got, err := parseBudgets(nil); got != nil || err != nil {
		t.Errorf("no flag: got %v, %v; want no budgets", got, err)
	}
	for _, bad := range []struct{ stage, value, want string }{
		{"verify", "1m", "only outputs and refactor"},
		{"tidy", "1m", "only outputs and refactor"},
		{"refactor", "soon", "positive duration"},
		{"refactor", "-1s", "positive duration"},
		{"refactor", "0", "positive duration"},
	} {
		_, err := parseBudgets(map[string]string{bad.stage: bad.value})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--budget %s=%s: error %v, want one saying %q", bad.stage, bad.value, err, bad.want)
		}
	}
}
