import StarlingMacros
import SwiftCompilerPlugin
import SwiftSyntaxMacros

/// The compiler plugin that serves the module SDK's macros (module name `StarlingMacros`).
@main
struct StarlingMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = StarlingMacros.all
}
