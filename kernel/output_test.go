package kernel

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDetectRuntimeFailure(t *testing.T) {
	stderr := func(text string) Output { return Output{Type: TypeStream, Name: "stderr", Text: text} }
	stdout := func(text string) Output { return Output{Type: TypeStream, Name: "stdout", Text: text} }
	tests := []struct {
		name      string
		outputs   []Output
		wantValue string // "" means no failure
		wantTrace string
	}{
		{"nothing", nil, "", ""},
		{"clean stderr", []Output{stderr("warning: x\n")}, "", ""},
		{"exit status", []Output{stdout("hi\n"), stderr("exit status 3\n")}, "exit status 3", "exit status 3"},
		{"exit status on stdout is not a failure", []Output{stdout("exit status 3\n")}, "", ""},
		{"panic", []Output{stderr("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n"), stderr("exit status 2\n")},
			"panic: boom", "panic: boom||goroutine 1 [running]:|main.main()|exit status 2"},
		{"panic split across outputs", []Output{stderr("pan"), stdout("x"), stderr("ic: split\nexit status 2\n")},
			"panic: split", "panic: split|exit status 2"},
		{"panic text without exit is not a failure", []Output{stderr("panic: recovered and printed\n")}, "", ""},
		{"fatal error", []Output{stderr("fatal error: all goroutines are asleep - deadlock!\n\nexit status 2\n")},
			"fatal error: all goroutines are asleep - deadlock!", "fatal error: all goroutines are asleep - deadlock!||exit status 2"},
		{"interrupted", []Output{stderr("^C\nsignal: interrupt\n")}, "signal: interrupt", "signal: interrupt"},
		{"exit status mid-line", []Output{stderr("the exit status 3 was fine\n")}, "", ""},
		{"crlf", []Output{stderr("exit status 1\r\n")}, "exit status 1", "exit status 1\r"},
	}
	for _, tt := range tests {
		got := DetectRuntimeFailure(tt.outputs)
		if tt.wantValue == "" {
			if got != nil {
				t.Errorf("%s: got %+v, want nil", tt.name, got)
			}
			continue
		}
		if got == nil {
			t.Errorf("%s: got nil, want %q", tt.name, tt.wantValue)
			continue
		}
		if got.EName != "RuntimeError" || got.EValue != tt.wantValue {
			t.Errorf("%s: got %s=%q, want RuntimeError=%q", tt.name, got.EName, got.EValue, tt.wantValue)
		}
		if tr := strings.Join(got.Traceback, "|"); tr != tt.wantTrace {
			t.Errorf("%s: traceback %q, want %q", tt.name, tr, tt.wantTrace)
		}
	}
}

func TestCollector(t *testing.T) {
	type msg struct{ typ, content string }
	tests := []struct {
		name    string
		msgs    []msg
		want    string
		updates string
	}{
		{"stream merge by name", []msg{
			{"stream", `{"name":"stdout","text":"a"}`},
			{"stream", `{"name":"stdout","text":"b"}`},
			{"stream", `{"name":"stderr","text":"c"}`},
			{"stream", `{"name":"stdout","text":"d"}`},
		}, "stdout:ab|stderr:c|stdout:d|", ""},
		{"non-output messages ignored", []msg{
			{"status", `{"execution_state":"busy"}`},
			{"execute_input", `{"code":"x"}`},
			{"comm_open", `{}`},
		}, "", ""},
		{"display_data with known id updates and appends", []msg{
			{"display_data", `{"data":{"text/plain":"1"},"transient":{"display_id":"d"}}`},
			{"display_data", `{"data":{"text/plain":"2"},"transient":{"display_id":"d"}}`},
		}, "display_data:2#d|display_data:2#d|", ""},
		{"update for unknown id goes to updates", []msg{
			{"update_display_data", `{"data":{"text/plain":"u"},"transient":{"display_id":"old"}}`},
			{"update_display_data", `{"data":{"text/plain":"v"},"transient":{}}`},
		}, "", "display_data:u#old|"},
		{"clear wait then error", []msg{
			{"stream", `{"name":"stdout","text":"a"}`},
			{"clear_output", `{"wait":true}`},
			{"error", `{"ename":"E","evalue":"v","traceback":[]}`},
		}, "error:E=v|", ""},
		{"clear then stream does not merge into cleared", []msg{
			{"stream", `{"name":"stdout","text":"a"}`},
			{"clear_output", `{"wait":true}`},
			{"stream", `{"name":"stdout","text":"b"}`},
		}, "stdout:b|", ""},
		{"data list of strings", []msg{
			{"display_data", `{"data":{"text/plain":["x","y"]}}`},
		}, "display_data:xy|", ""},
	}
	for _, tt := range tests {
		var c collector
		for _, m := range tt.msgs {
			if err := c.apply(m.typ, json.RawMessage(m.content)); err != nil {
				t.Fatalf("%s: apply(%s): %v", tt.name, m.typ, err)
			}
		}
		if got := summary(c.finish()); got != tt.want {
			t.Errorf("%s: outputs %q, want %q", tt.name, got, tt.want)
		}
		if got := summary(c.updates); got != tt.updates {
			t.Errorf("%s: updates %q, want %q", tt.name, got, tt.updates)
		}
	}
	var c collector
	if err := c.apply("stream", json.RawMessage(`{"name":1}`)); err == nil {
		t.Error("bad stream content accepted")
	}
}
