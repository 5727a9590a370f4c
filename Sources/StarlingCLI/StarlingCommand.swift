import ArgumentParser

/// The `starling` command: the server and the CLI in one binary.
///
/// Verbs are added as the parts behind them land (see ARCHITECTURE.md for the full contract).
public struct StarlingCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "starling",
        abstract: "Starling: a real-time relational database and application server.",
        version: StarlingVersion.string,
        subcommands: [
            StartCommand.self, PublishCommand.self, CallCommand.self, SQLCommand.self, LogsCommand.self, SubscribeCommand.self,
            DescribeCommand.self, ListCommand.self, DeleteCommand.self, InitCommand.self, BuildCommand.self, IdentityCommand.self,
            ServerCommand.self, VersionCommand.self, GenerateCommand.self, BackupCommand.self, RestoreCommand.self,
        ]
    )

    public init() {}
}

/// `starling version`: prints the version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Starling's version.")

    func run() throws {
        print("starling \(StarlingVersion.string)")
    }
}

/// The version of this build.
public enum StarlingVersion {
    public static let string = "0.1.0-dev"
}
