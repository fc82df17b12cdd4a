module dlcheck.test/go115cgonet

go 1.15
