import StarlingModule

/// Everyone who has connected: their chosen name and whether they are online now.
@Table(public: true)
struct User {
    @PrimaryKey var identity: Identity
    var name: String?
    var online: Bool
}

/// One chat message.
@Table(public: true)
struct Message {
    var sender: Identity
    var sent: Timestamp
    var text: String
}

/// Sets the caller's display name.
@Reducer
func setName(ctx: ReducerContext, name: String) throws(ReducerError) {
    let name = try validated(name, what: "names")
    let users = ctx.db[User.self]
    guard var user = users.identity.find(ctx.sender) else {
        throw ReducerError("cannot set the name of an unknown user; connect first")
    }
    user.name = name
    try users.identity.update(user)
}

/// Posts a message from the caller.
@Reducer
func sendMessage(ctx: ReducerContext, text: String) throws(ReducerError) {
    let text = try validated(text, what: "messages")
    Log.info("message from \(ctx.sender.hexString.prefix(8)): \(text)")
    try ctx.db[Message.self].insert(Message(sender: ctx.sender, sent: ctx.timestamp, text: text))
}

/// A client connected: mark them online (a first-time user gets a row without a name).
@Reducer(.clientConnected)
func clientConnected(ctx: ReducerContext) throws(ReducerError) {
    let users = ctx.db[User.self]
    if var user = users.identity.find(ctx.sender) {
        user.online = true
        try users.identity.update(user)
    } else {
        try users.insert(User(identity: ctx.sender, name: nil, online: true))
    }
}

/// A client disconnected: mark them offline.
@Reducer(.clientDisconnected)
func clientDisconnected(ctx: ReducerContext) throws(ReducerError) {
    let users = ctx.db[User.self]
    if var user = users.identity.find(ctx.sender) {
        user.online = false
        try users.identity.update(user)
    } else {
        Log.warn("disconnect from unknown user \(ctx.sender.hexString)")
    }
}

/// Rejects empty (or all-whitespace) input with a clear message.
func validated(_ s: String, what: String) throws(ReducerError) -> String {
    var trimmed = Substring(s)
    while let c = trimmed.first, c == " " || c == "\n" || c == "\t" { trimmed.removeFirst() }
    while let c = trimmed.last, c == " " || c == "\n" || c == "\t" { trimmed.removeLast() }
    if trimmed.isEmpty { throw ReducerError("\(what) must not be empty") }
    return String(trimmed)
}
