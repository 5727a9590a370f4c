// The WebSocket protocol messages.
