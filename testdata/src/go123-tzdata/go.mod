module dlcheck.test/go123tzdata

go 1.23
