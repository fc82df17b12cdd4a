module dlcheck.test/go123hello

go 1.23
