module dlcheck.test/go123importcnet

go 1.23
