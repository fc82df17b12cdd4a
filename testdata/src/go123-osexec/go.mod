module dlcheck.test/go123osexec

go 1.23
