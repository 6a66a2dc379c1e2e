from verifygrad.frontends.cli import main

main()
