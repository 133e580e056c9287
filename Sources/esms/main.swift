import Commands

ESMS.main()
