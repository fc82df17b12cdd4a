module dlcheck.test/go123x509tz

go 1.23
