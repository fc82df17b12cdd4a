module dlcheck.test/cgouser

go 1.19
