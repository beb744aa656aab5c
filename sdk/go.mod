module github.com/sluice-mq/sluice/sdk

go 1.26
