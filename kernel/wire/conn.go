package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/decant-go/decant/internal/safefile"
)

// Channel names one of the five kernel sockets.
type Channel string

// The kernel channels, in the order Jupyter documents them.
const (
	Shell   Channel = "shell"
	IOPub   Channel = "iopub"
	Stdin   Channel = "stdin"
	Control Channel = "control"
	HB      Channel = "hb"
)

// Channels lists every channel, for loops that open or close all sockets.
func Channels() []Channel { return []Channel{Shell, IOPub, Stdin, Control, HB} }

// SchemeHMACSHA256 is the only signature scheme Jupyter defines.
const SchemeHMACSHA256 = "hmac-sha256"

// ConnectionInfo is the content of a kernel connection file.
type ConnectionInfo struct {
	Transport       string `json:"transport"` // "tcp" or "ipc"
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// Port returns the port of channel ch, or 0 for an unknown channel.
func (c ConnectionInfo) Port(ch Channel) int {
	switch ch {
	case Shell:
		return c.ShellPort
	case IOPub:
		return c.IOPubPort
	case Stdin:
		return c.StdinPort
	case Control:
		return c.ControlPort
	case HB:
		return c.HBPort
	}
	return 0
}

// Addr returns the ZeroMQ endpoint of channel ch, such as
// "tcp://127.0.0.1:5555". For the ipc transport Jupyter names the socket
// file "<ip>-<port>".
func (c ConnectionInfo) Addr(ch Channel) string {
	port := strconv.Itoa(c.Port(ch))
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + port
	}
	transport := c.Transport
	if transport == "" {
		transport = "tcp"
	}
	return transport + "://" + c.IP + ":" + port
}

// Validate reports the first problem that would stop a client from using c.
func (c ConnectionInfo) Validate() error {
	switch c.Transport {
	case "tcp", "ipc":
	default:
		return fmt.Errorf("unsupported transport %q (want tcp or ipc)", c.Transport)
	}
	if c.IP == "" {
		return errors.New("empty ip")
	}
	for _, ch := range Channels() {
		if p := c.Port(ch); p <= 0 || p > 65535 {
			return fmt.Errorf("%s port %d out of range", ch, p)
		}
	}
	if c.Key != "" && c.SignatureScheme != SchemeHMACSHA256 {
		return fmt.Errorf("unsupported signature scheme %q (want %s)", c.SignatureScheme, SchemeHMACSHA256)
	}
	return nil
}

// Signer returns the signer for c's key.
func (c ConnectionInfo) Signer() Signer {
	return Signer{Key: []byte(c.Key)}
}

// ParseConnectionInfo decodes and validates a connection file's content.
func ParseConnectionInfo(data []byte) (ConnectionInfo, error) {
	var c ConnectionInfo
	if err := json.Unmarshal(data, &c); err != nil {
		return ConnectionInfo{}, fmt.Errorf("parsing connection info: %w", err)
	}
	if err := c.Validate(); err != nil {
		return ConnectionInfo{}, fmt.Errorf("parsing connection info: %w", err)
	}
	return c, nil
}

// ReadConnectionFile reads and validates the connection file at path.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("reading connection file: %w", err)
	}
	c, err := ParseConnectionInfo(data)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteConnectionFile writes info to path with mode 0600. It writes a
// temporary file in the same directory and renames it, so a kernel never
// sees a half-written file.
func WriteConnectionFile(path string, info ConnectionInfo) (err error) {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding connection file: %w", err)
	}
	data = append(data, '\n')
	// The file holds the signing key: 0600 whatever a previous file had.
	if err := safefile.Write(path, data, safefile.Options{Perm: 0o600, ForcePerm: true}); err != nil {
		return fmt.Errorf("writing connection file: %w", err)
	}
	return nil
}
