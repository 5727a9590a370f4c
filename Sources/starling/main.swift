import StarlingCLI

StarlingCommand.main()
