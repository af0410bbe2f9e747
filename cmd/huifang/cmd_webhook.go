package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// cmdWebhookAdd registers a dealer's webhook endpoint and prints its signing secret once.
func cmdWebhookAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "webhook add")
	dealer := fs.String("dealer", "", "dealer code (required)")
	url := fs.String("url", "", "the receiver's http(s) URL (required)")
	events := fs.String("events", "", "comma-separated events (required): "+strings.Join(queue.WebhookEvents(), ","))
	asJSON := fs.Bool("json", false, `print {"id":N,"secret":"..."} on one line`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *url == "" || *events == "" {
		return fmt.Errorf("%w: --dealer, --url and --events are required", errUsage)
	}
	pool, d, err := apiDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	id, secret, err := queue.AddWebhook(ctx, pool, d.ID, *url, strings.Split(*events, ","))
	var fe *queue.FieldError
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: --%s: %s", errUsage, fe.Field, fe.Msg)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(map[string]any{"id": id, "secret": secret})
	}
	fmt.Fprintf(env.stdout, "webhook %d of dealer %s; its signing secret, shown only now:\n%s\n", id, d.Code, secret)
	return nil
}

// cmdWebhookList prints a dealer's webhook endpoints (never their secrets).
func cmdWebhookList(ctx context.Context, env *cliEnv, args []string) error {
	return dealerList(ctx, env, args, "webhook list", "one JSON object per webhook per line",
		[]string{"id", "url", "events", "active", "created"},
		func(ctx context.Context, q *store.Queries, dealerID int64) ([]any, [][]string, error) {
			hooks, err := q.ListWebhookEndpoints(ctx, dealerID)
			if err != nil {
				return nil, nil, err
			}
			var objs []any
			var rows [][]string
			for _, h := range hooks {
				objs = append(objs, map[string]any{"id": h.ID, "url": h.Url, "events": h.Events, "active": h.Active, "created_at": h.CreatedAt})
				rows = append(rows, []string{strconv.FormatInt(h.ID, 10), h.Url, strings.Join(h.Events, ","), strconv.FormatBool(h.Active), h.CreatedAt.Format(time.DateTime)})
			}
			return objs, rows, nil
		})
}

// cmdWebhookRemove stops a dealer's webhook endpoint.
func cmdWebhookRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "webhook remove")
	dealer := fs.String("dealer", "", "dealer code (required)")
	id := fs.Int64("id", 0, "the webhook's id (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dealer == "" || *id <= 0 {
		return fmt.Errorf("%w: --dealer and --id are required", errUsage)
	}
	pool, d, err := apiDealer(ctx, env, *dealer)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := queue.RemoveWebhook(ctx, pool, d.ID, *id); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "webhook %d of dealer %s removed\n", *id, d.Code)
	return nil
}
