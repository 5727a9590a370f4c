// The quickstart's terminal chat client (placeholder until it lands).
print("quickstart-chat-client: not built yet")
