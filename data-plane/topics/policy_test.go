package topics

import "testing"

func TestQueueDenies(t *testing.T) {
	topic := Ref{Account: "111122223333", Region: "us-east-1", Name: "orders"}
	cases := []struct {
		policy string
		want   bool
	}{
		{``, false},
		{`not json`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage"}]}`, true},
		{`{"Statement":{"Effect":"Deny","Principal":"*","Action":"SQS:*"}}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":{"Service":"sns.amazonaws.com"},"Action":["sqs:ReceiveMessage","sqs:Send*"]}]}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"*"}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:ReceiveMessage"}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:orders"}}}]}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:other"}}}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:ord*"}}}]}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:orders"}}}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, false},
	}
	for _, c := range cases {
		if got := queueDenies(c.policy, topic); got != c.want {
			t.Errorf("queueDenies(%s) = %v, want %v", c.policy, got, c.want)
		}
	}
}
