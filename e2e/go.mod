module github.com/sluice-mq/sluice/e2e

go 1.26.8

require github.com/sluice-mq/sluice/sdk v0.0.0-00010101000000-000000000000

replace github.com/sluice-mq/sluice/sdk => ../sdk
