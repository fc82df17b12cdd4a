module dlcheck.test/go123netuser

go 1.23
