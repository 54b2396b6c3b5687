package wire

import (
	"encoding/json"
	"fmt"
)

// ParentID returns the msg_id of the request m answers, or "".
func (m *Message) ParentID() string { return m.ParentHeader.MsgID }

// Type returns m's msg_type.
func (m *Message) Type() string { return m.Header.MsgType }

// DecodeContent unmarshals m's content into v.
func (m *Message) DecodeContent(v any) error {
	if err := json.Unmarshal(rawOrEmpty(m.Content), v); err != nil {
		return fmt.Errorf("decoding %s content: %w", m.Header.MsgType, err)
	}
	return nil
}

// ExecuteRequest is the content of an execute_request.
type ExecuteRequest struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    bool              `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      bool              `json:"allow_stdin"`
	StopOnError     bool              `json:"stop_on_error"`
}

// InputRequest is the content of an input_request (kernel to client, on stdin).
type InputRequest struct {
	Prompt   string `json:"prompt"`
	Password bool   `json:"password"`
}

// InputReply is the content of an input_reply (client to kernel, on stdin).
type InputReply struct {
	Value string `json:"value"`
}
