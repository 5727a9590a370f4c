import ArgumentParser
import StarlingCLI

/// The `starling` executable: every verb lives in `StarlingCLI`.
@main
enum StarlingMain {
    static func main() async {
        await StarlingCommand.main()
    }
}
