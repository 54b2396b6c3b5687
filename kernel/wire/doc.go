// Package wire implements the Jupyter messaging protocol (version 5.3) as
// pure functions over bytes: connection files, message headers, HMAC
// signing and the multipart frame format used on ZeroMQ sockets.
//
// # Frames
//
// A message on the wire is a list of frames:
//
//	identity...   zero or more routing identities (ROUTER sockets)
//	<IDS|MSG>     delimiter
//	signature     hex HMAC-SHA256 of the next four frames, or empty
//	header        JSON object
//	parent_header JSON object ({} when there is no parent)
//	metadata      JSON object
//	content       JSON object
//	buffers...    zero or more raw binary buffers
//
// [Encode] and [Decode] convert between a [Message] and its frames. Decode
// never trusts its input: it checks bounds, the delimiter, the signature (in
// constant time) and the JSON of every part, and reports problems as
// [ErrMalformed] or [ErrBadSignature] so that a reader can drop a bad
// message and carry on.
//
// # Signing
//
// A [Signer] holds the key from the connection file. Its zero value (empty
// key) neither signs nor checks, matching Jupyter's behaviour when the key
// is empty.
//
// # Connection files
//
// [ConnectionInfo] mirrors the JSON connection file a kernel is started
// with. [ParseConnectionInfo] is the pure decoder; [ReadConnectionFile] and
// [WriteConnectionFile] are the disk edges (the latter writes atomically with
// mode 0600 because the file holds the signing key).
//
// Nothing here does network I/O; the sockets live in package kernel.
package wire
