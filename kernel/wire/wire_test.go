package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fixedBuilder() Builder {
	n := 0
	return Builder{
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC) },
		NewID: func() string {
			n++
			return "id-" + string(rune('0'+n))
		},
	}
}

// refSignature computes the signature independently of Signer.
func refSignature(key string, parts ...[]byte) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignKnownVectors(t *testing.T) {
	tests := []struct {
		key                    string
		header, parent, md, ct string
	}{
		{"secret", `{"msg_id":"1"}`, `{}`, `{}`, `{}`},
		{"0f6b2c1e-key", `{"a":1}`, `{"b":2}`, `{"c":3}`, `{"code":"fmt.Println(1)"}`},
		{"k", "", "", "", ""},
	}
	for _, tt := range tests {
		s := Signer{Key: []byte(tt.key)}
		got := string(s.Sign([]byte(tt.header), []byte(tt.parent), []byte(tt.md), []byte(tt.ct)))
		want := refSignature(tt.key, []byte(tt.header), []byte(tt.parent), []byte(tt.md), []byte(tt.ct))
		if got != want {
			t.Errorf("Sign(key %q) = %s, want %s", tt.key, got, want)
		}
		if !s.Verify([]byte(want), []byte(tt.header), []byte(tt.parent), []byte(tt.md), []byte(tt.ct)) {
			t.Errorf("Verify rejected the reference signature for key %q", tt.key)
		}
		// Concatenation boundaries are not part of the MAC, but content is.
		if s.Verify([]byte(want), []byte(tt.header), []byte(tt.parent), []byte(tt.md), []byte(tt.ct+" ")) {
			t.Errorf("Verify accepted a signature over different content for key %q", tt.key)
		}
	}
	// A well-known HMAC-SHA256 vector (RFC 4231 test case 2), split across parts.
	s := Signer{Key: []byte("Jefe")}
	got := string(s.Sign([]byte("what do ya "), []byte("want "), []byte("for "), []byte("nothing?")))
	if want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("RFC 4231 vector: got %s, want %s", got, want)
	}
}

func TestZeroSigner(t *testing.T) {
	var s Signer
	if sig := s.Sign([]byte("{}"), nil, nil, nil); sig != nil {
		t.Errorf("zero signer produced signature %q", sig)
	}
	if !s.Verify([]byte("garbage"), nil, nil, nil, nil) {
		t.Error("zero signer rejected a message")
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	b := fixedBuilder()
	parent := &Header{MsgID: "parent", Session: "s", MsgType: "execute_request", Version: "5.3", Date: "2026-01-01T00:00:00Z"}
	m, err := b.NewMessage("stream", "sess", parent, map[string]string{"name": "stdout", "text": "hi\n"})
	if err != nil {
		t.Fatal(err)
	}
	m.Identities = [][]byte{[]byte("peer")}
	m.Buffers = [][]byte{{0, 1, 2}}
	s := Signer{Key: []byte("key")}
	frames, err := Encode(m, s)
	if err != nil {
		t.Fatal(err)
	}
	if string(frames[0]) != "peer" || string(frames[1]) != Delimiter {
		t.Fatalf("frames start %q %q", frames[0], frames[1])
	}
	wantHeader := `{"msg_id":"id-1","session":"sess","username":"decant","date":"2026-01-02T03:04:05.678901Z","msg_type":"stream","version":"5.3"}`
	if string(frames[3]) != wantHeader {
		t.Errorf("header frame\n got %s\nwant %s", frames[3], wantHeader)
	}
	if got, want := string(frames[2]), refSignature("key", frames[3], frames[4], frames[5], frames[6]); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	if string(frames[5]) != "{}" {
		t.Errorf("metadata frame %s, want {}", frames[5])
	}
	got, err := Decode(frames, s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
	if got.ParentID() != "parent" || got.Type() != "stream" {
		t.Errorf("ParentID/Type = %q/%q", got.ParentID(), got.Type())
	}
}

func TestEncodeEmptyParent(t *testing.T) {
	m, err := fixedBuilder().NewMessage("kernel_info_request", "s", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := Encode(m, Signer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames[1]) != 0 {
		t.Errorf("unsigned message has signature %q", frames[1])
	}
	if string(frames[3]) != "{}" || string(frames[5]) != "{}" {
		t.Errorf("parent %s content %s, want {} {}", frames[3], frames[5])
	}
}

func TestDecodeErrors(t *testing.T) {
	s := Signer{Key: []byte("key")}
	good, err := Encode(&Message{Header: Header{MsgID: "x", MsgType: "status"}, Content: json.RawMessage(`{"execution_state":"idle"}`)}, s)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(h, p, m, c string) [][]byte {
		return [][]byte{[]byte(Delimiter), s.Sign([]byte(h), []byte(p), []byte(m), []byte(c)), []byte(h), []byte(p), []byte(m), []byte(c)}
	}
	tamper := func(i int, v string) [][]byte {
		f := append([][]byte(nil), good...)
		f[i] = []byte(v)
		return f
	}
	tests := []struct {
		name   string
		frames [][]byte
		want   error
		detail string
	}{
		{"empty", nil, ErrMalformed, "missing"},
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, ErrMalformed, "missing"},
		{"too few", good[:5], ErrMalformed, "too few"},
		{"bad signature", tamper(1, strings.Repeat("0", 64)), ErrBadSignature, ""},
		{"non-hex signature", tamper(1, "zz"), ErrBadSignature, ""},
		{"tampered content", tamper(5, `{"execution_state":"busy"}`), ErrBadSignature, ""},
		{"header not JSON", sign(`{`, `{}`, `{}`, `{}`), ErrMalformed, "bad JSON header"},
		{"header wrong type", sign(`{"msg_id":1}`, `{}`, `{}`, `{}`), ErrMalformed, "bad JSON header"},
		{"header array", sign(`[]`, `{}`, `{}`, `{}`), ErrMalformed, "bad JSON header"},
		{"parent bad", sign(`{}`, `x`, `{}`, `{}`), ErrMalformed, "parent"},
		{"metadata bad", sign(`{}`, `{}`, `null`, `{}`), ErrMalformed, "metadata"},
		{"content bad", sign(`{}`, `{}`, `{}`, `"s"`), ErrMalformed, "content"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.frames, s)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.detail) {
			t.Errorf("%s: err %q does not mention %q", tt.name, err, tt.detail)
		}
	}
	if _, err := Decode(good, s); err != nil {
		t.Errorf("good message rejected: %v", err)
	}
	// A client with the wrong key must reject the message.
	if _, err := Decode(good, Signer{Key: []byte("other")}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong key: err = %v, want ErrBadSignature", err)
	}
}

func TestNewMessageRejectsNonObject(t *testing.T) {
	if _, err := NewMessage("x", "s", nil, []int{1}); err == nil {
		t.Error("array content accepted")
	}
	if _, err := NewMessage("x", "s", nil, func() {}); err == nil {
		t.Error("unmarshalable content accepted")
	}
}

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	if a == b {
		t.Errorf("two ids are equal: %s", a)
	}
	if len(a) != 36 || a[14] != '4' || strings.Count(a, "-") != 4 {
		t.Errorf("id %q is not a v4 UUID", a)
	}
}

func TestConnectionInfo(t *testing.T) {
	info := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: 1, IOPubPort: 2, StdinPort: 3,
		ControlPort: 4, HBPort: 5, Key: "k", SignatureScheme: SchemeHMACSHA256, KernelName: "gonb"}
	want := map[Channel]string{Shell: "tcp://127.0.0.1:1", IOPub: "tcp://127.0.0.1:2", Stdin: "tcp://127.0.0.1:3",
		Control: "tcp://127.0.0.1:4", HB: "tcp://127.0.0.1:5"}
	for _, ch := range Channels() {
		if got := info.Addr(ch); got != want[ch] {
			t.Errorf("Addr(%s) = %s, want %s", ch, got, want[ch])
		}
	}
	ipc := info
	ipc.Transport, ipc.IP = "ipc", "/tmp/k"
	if got := ipc.Addr(HB); got != "ipc:///tmp/k-5" {
		t.Errorf("ipc Addr = %s", got)
	}

	path := filepath.Join(t.TempDir(), "kernel-1.json")
	if err := WriteConnectionFile(path, info); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the connection file", len(entries))
	}
	got, err := ReadConnectionFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != info {
		t.Errorf("read back %+v, want %+v", got, info)
	}
	if got.Signer().Key == nil || string(got.Signer().Key) != "k" {
		t.Errorf("Signer key %q", got.Signer().Key)
	}
}

func TestParseConnectionInfoErrors(t *testing.T) {
	base := `"ip":"127.0.0.1","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5`
	tests := map[string]string{
		"not json":    `{`,
		"transport":   `{"transport":"udp",` + base + `}`,
		"no ip":       `{"transport":"tcp","ip":"","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}`,
		"port":        `{"transport":"tcp","ip":"127.0.0.1","shell_port":0,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}`,
		"scheme":      `{"transport":"tcp",` + base + `,"key":"k","signature_scheme":"hmac-md5"}`,
		"port string": `{"transport":"tcp","ip":"127.0.0.1","shell_port":"1"}`,
	}
	for name, in := range tests {
		if _, err := ParseConnectionInfo([]byte(in)); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
	}
	if _, err := ParseConnectionInfo([]byte(`{"transport":"tcp",` + base + `}`)); err != nil {
		t.Errorf("unsigned info rejected: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	s := Signer{Key: []byte("fuzz")}
	m, _ := fixedBuilder().NewMessage("execute_request", "s", &Header{MsgID: "p"}, ExecuteRequest{Code: "1"})
	m.Identities = [][]byte{[]byte("id")}
	m.Buffers = [][]byte{[]byte("buf")}
	good, _ := Encode(m, Signer{})
	f.Add(bytes.Join(good, []byte{0}))
	f.Add([]byte("<IDS|MSG>\x00\x00{}\x00{}\x00{}\x00{}"))
	f.Add([]byte("a\x00<IDS|MSG>\x00sig\x00{\"msg_id\":\"x\"}\x00{}\x00{}\x00{\"a\":[1,2]}\x00extra"))
	f.Add([]byte("<IDS|MSG>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// NUL separates frames so the fuzzer can vary their count.
		frames := bytes.Split(data, []byte{0})
		m, err := Decode(frames, Signer{})
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unsigned decode failed with %v, want ErrMalformed", err)
			}
			return
		}
		enc, err := Encode(m, s)
		if err != nil {
			t.Fatalf("encoding a decoded message: %v", err)
		}
		m2, err := Decode(enc, s)
		if err != nil {
			t.Fatalf("decoding an encoded message: %v", err)
		}
		if !sameMessage(m, m2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", m, m2)
		}
	})
}

func sameMessage(a, b *Message) bool {
	eqFrames := func(x, y [][]byte) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !bytes.Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a.Header == b.Header && a.ParentHeader == b.ParentHeader &&
		bytes.Equal(a.Metadata, b.Metadata) && bytes.Equal(a.Content, b.Content) &&
		eqFrames(a.Identities, b.Identities) && eqFrames(a.Buffers, b.Buffers)
}

func FuzzParseConnectionInfo(f *testing.F) {
	f.Add([]byte(`{"transport":"tcp","ip":"127.0.0.1","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5,"key":"k","signature_scheme":"hmac-sha256"}`))
	f.Add([]byte(`{"transport":"ipc","ip":"/tmp/x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseConnectionInfo(data)
		if err != nil {
			return
		}
		if err := info.Validate(); err != nil {
			t.Fatalf("parsed info does not validate: %v", err)
		}
		enc, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		info2, err := ParseConnectionInfo(enc)
		if err != nil || info2 != info {
			t.Fatalf("round trip: %+v, %v; want %+v", info2, err, info)
		}
	})
}
