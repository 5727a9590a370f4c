// NIO HTTP and WebSocket client.
