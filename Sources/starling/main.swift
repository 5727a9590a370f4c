import ArgumentParser
import StarlingCLI

StarlingCommand.main()
