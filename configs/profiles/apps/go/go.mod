module lite.example/sample

go 1.19
