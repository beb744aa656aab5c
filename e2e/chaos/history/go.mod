module github.com/sluice-mq/sluice/e2e/chaos/history

go 1.26.8
