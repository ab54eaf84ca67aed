module gop

go 1.26
