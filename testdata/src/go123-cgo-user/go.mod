module dlcheck.test/go123cgouser

go 1.23
