package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the messaging protocol version this package speaks.
const ProtocolVersion = "5.3"

// Delimiter separates routing identities from the signed message parts.
const Delimiter = "<IDS|MSG>"

// Errors reported by [Decode]. Both are returned wrapped with details.
var (
	ErrMalformed    = errors.New("malformed message")
	ErrBadSignature = errors.New("bad message signature")
)

// Header is a message header (also used for parent_header).
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	// Date is kept as the kernel sent it: kernels disagree on precision and
	// time zone notation (GoNB sends whole seconds), and a string round-trips.
	Date    string `json:"date"`
	MsgType string `json:"msg_type"`
	Version string `json:"version"`
}

// IsZero reports whether h is the empty header, which encodes as {}.
func (h Header) IsZero() bool { return h == Header{} }

// Message is a decoded Jupyter message.
type Message struct {
	// Identities are the ZeroMQ routing prefixes; a ROUTER socket needs
	// them to send a reply back to the right peer.
	Identities   [][]byte
	Header       Header
	ParentHeader Header
	Metadata     json.RawMessage // a JSON object; nil encodes as {}
	Content      json.RawMessage // a JSON object; nil encodes as {}
	Buffers      [][]byte
}

// Signer computes and checks message signatures with HMAC-SHA256. The
// zero value has no key: it produces empty signatures and accepts any.
type Signer struct {
	Key []byte
}

// Enabled reports whether s signs messages.
func (s Signer) Enabled() bool { return len(s.Key) > 0 }

// Sign returns the hex signature over the four signed parts, or nil when
// s has no key.
func (s Signer) Sign(header, parent, metadata, content []byte) []byte {
	if !s.Enabled() {
		return nil
	}
	sum := s.mac(header, parent, metadata, content)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// Verify reports whether sig is the hex signature of the four parts. It
// always succeeds when s has no key. The comparison is constant-time.
func (s Signer) Verify(sig, header, parent, metadata, content []byte) bool {
	if !s.Enabled() {
		return true
	}
	got := make([]byte, hex.DecodedLen(len(sig)))
	if _, err := hex.Decode(got, sig); err != nil {
		return false
	}
	return hmac.Equal(got, s.mac(header, parent, metadata, content))
}

func (s Signer) mac(parts ...[]byte) []byte {
	m := hmac.New(sha256.New, s.Key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

var emptyObject = []byte("{}")

func encodeHeader(h Header) ([]byte, error) {
	if h.IsZero() {
		return emptyObject, nil
	}
	return json.Marshal(h)
}

func rawOrEmpty(r json.RawMessage) []byte {
	if len(r) == 0 {
		return emptyObject
	}
	return r
}

// Encode returns the frames of m, signed by s.
func Encode(m *Message, s Signer) ([][]byte, error) {
	header, err := encodeHeader(m.Header)
	if err != nil {
		return nil, fmt.Errorf("encoding header: %w", err)
	}
	parent, err := encodeHeader(m.ParentHeader)
	if err != nil {
		return nil, fmt.Errorf("encoding parent header: %w", err)
	}
	metadata := rawOrEmpty(m.Metadata)
	content := rawOrEmpty(m.Content)
	if !json.Valid(metadata) {
		return nil, fmt.Errorf("encoding %s message: metadata is not valid JSON", m.Header.MsgType)
	}
	if !json.Valid(content) {
		return nil, fmt.Errorf("encoding %s message: content is not valid JSON", m.Header.MsgType)
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, []byte(Delimiter), s.Sign(header, parent, metadata, content),
		header, parent, metadata, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// Decode parses frames into a message after checking the signature with s.
// The returned message shares memory with frames. Errors wrap
// [ErrMalformed] or [ErrBadSignature].
func Decode(frames [][]byte, s Signer) (*Message, error) {
	delim := -1
	for i, f := range frames {
		if string(f) == Delimiter {
			delim = i
			break
		}
	}
	if delim < 0 {
		return nil, fmt.Errorf("%w: missing %s delimiter in %d frames", ErrMalformed, Delimiter, len(frames))
	}
	if len(frames)-delim < 6 {
		return nil, fmt.Errorf("%w: too few frames: %d after the delimiter, want at least 5", ErrMalformed, len(frames)-delim-1)
	}
	sig, header, parent, metadata, content := frames[delim+1], frames[delim+2], frames[delim+3], frames[delim+4], frames[delim+5]
	if !s.Verify(sig, header, parent, metadata, content) {
		return nil, fmt.Errorf("%w: signature %.16q does not match", ErrBadSignature, sig)
	}
	m := &Message{}
	if delim > 0 {
		m.Identities = frames[:delim]
	}
	if err := decodeHeader(header, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: bad JSON header: %v", ErrMalformed, err)
	}
	if err := decodeHeader(parent, &m.ParentHeader); err != nil {
		return nil, fmt.Errorf("%w: bad JSON parent header: %v", ErrMalformed, err)
	}
	if !isObject(metadata) {
		return nil, fmt.Errorf("%w: metadata is not a JSON object", ErrMalformed)
	}
	if !isObject(content) {
		return nil, fmt.Errorf("%w: content is not a JSON object", ErrMalformed)
	}
	m.Metadata = json.RawMessage(metadata)
	m.Content = json.RawMessage(content)
	if rest := frames[delim+6:]; len(rest) > 0 {
		m.Buffers = rest
	}
	return m, nil
}

func decodeHeader(data []byte, h *Header) error {
	if !isObject(data) {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(data, h)
}

// isObject reports whether data is valid JSON whose top-level value is an
// object. Jupyter requires objects for all four signed parts.
func isObject(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{' && json.Valid(data)
}

// Builder makes new messages. Its zero value uses the system clock, random
// UUIDs, the user name "decant" and [ProtocolVersion]; tests inject Now and
// NewID for deterministic output.
type Builder struct {
	Now      func() time.Time
	NewID    func() string
	Username string
	Version  string
}

// NewMessage builds a message of type msgType in session, replying to parent
// when it is non-nil, with content marshaled to JSON (nil means {}).
func (b Builder) NewMessage(msgType, session string, parent *Header, content any) (*Message, error) {
	now, newID := b.Now, b.NewID
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = NewID
	}
	user := b.Username
	if user == "" {
		user = "decant"
	}
	version := b.Version
	if version == "" {
		version = ProtocolVersion
	}
	m := &Message{Header: Header{
		MsgID:    newID(),
		Session:  session,
		Username: user,
		Date:     now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  version,
	}, Metadata: json.RawMessage("{}"), Content: json.RawMessage("{}")}
	if parent != nil {
		m.ParentHeader = *parent
	}
	if content != nil {
		data, err := json.Marshal(content)
		if err != nil {
			return nil, fmt.Errorf("encoding %s content: %w", msgType, err)
		}
		if !isObject(data) {
			return nil, fmt.Errorf("encoding %s content: not a JSON object", msgType)
		}
		m.Content = data
	}
	return m, nil
}

// NewMessage is Builder{}.NewMessage.
func NewMessage(msgType, session string, parent *Header, content any) (*Message, error) {
	return Builder{}.NewMessage(msgType, session, parent, content)
}

// NewID returns a random version 4 UUID, the usual form of msg_id and
// session identifiers.
func NewID() string {
	var u [16]byte
	rand.Read(u[:]) // never fails (crypto/rand panics instead)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
