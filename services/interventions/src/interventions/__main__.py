from interventions.main import main

main()
