package demo

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// CallParams says what call history to make.
type CallParams struct {
	// DealerID is the dealer made by Generate.
	DealerID int64
	// Today is the day the history leads up to (00:00 UTC holding the dealer's day).
	Today time.Time
	// Days is how many days before Today have calls.
	Days int
	// PerAgentPerDay is the number of call attempts each agent made a day.
	PerAgentPerDay int
	// RecordingsDir is where the answered calls' recordings are written.
	RecordingsDir string
	// Seed makes the history reproducible.
	Seed uint64
}

// CallResult counts what GenerateCalls made.
type CallResult struct {
	// Attempts, Answered and Recordings count the call records, the answered ones and the
	// WAV files written.
	Attempts, Answered, Recordings int
}

// historyCampaigns are the campaigns of the generated past calls, with their priority.
var historyCampaigns = []struct {
	code     string
	priority int
	text     string
}{
	{"same_day_visit", 90, "当天到店, 当晚回访"},
	{"delivery_3day", 50, "交车后三日回访"},
	{"care_15day", 50, "交车第15天关怀"},
	{"first_maintenance", 60, "首保提醒"},
	{"maintenance", 40, "定期保养提醒"},
	{"lapsed_6m", 30, "半年未回厂"},
	{"insurance", 40, "保险即将到期"},
}

// GenerateCalls makes the agents' past calls for the demo dealer, so that directors have
// call records, outcomes and recordings to check on the first day: for each of the Days
// before Today, PerAgentPerDay attempts per agent during the calling window, most of them
// answered with an outcome, the others busy, unanswered or switched off; every answered
// call has a stereo WAV recording (customer left, agent right) of synthetic speech-like
// tones. The tasks of those calls are closed; they do not touch today's queue.
func GenerateCalls(ctx context.Context, db *pgxpool.Pool, p CallParams) (*CallResult, error) {
	if p.Days <= 0 || p.PerAgentPerDay <= 0 {
		return &CallResult{}, nil
	}
	if err := os.MkdirAll(p.RecordingsDir, 0o750); err != nil {
		return nil, fmt.Errorf("demo calls: recordings directory: %w", err)
	}
	dealer, err := store.New(db).GetDealer(ctx, p.DealerID)
	if err != nil {
		return nil, fmt.Errorf("demo calls: dealer %d: %w", p.DealerID, err)
	}
	loc, err := time.LoadLocation(dealer.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("demo calls: time zone %q: %w", dealer.TimeZone, err)
	}
	rows, err := db.Query(ctx, `SELECT id FROM users WHERE dealer_id = $1 AND role = 'agent' AND active ORDER BY username`, p.DealerID)
	if err != nil {
		return nil, fmt.Errorf("demo calls: agents: %w", err)
	}
	agents, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("demo calls: agents: %w", err)
	}
	n := p.Days * p.PerAgentPerDay * len(agents)
	// Customers with a valid phone and no open task, so the history does not change the
	// queue an agent works today.
	rows, err = db.Query(ctx, `SELECT c.id, c.phone FROM customers c
		WHERE c.dealer_id = $1 AND c.phone_valid
		  AND NOT EXISTS (SELECT 1 FROM call_tasks t WHERE t.customer_id = c.id AND t.status = 'open')
		ORDER BY c.id LIMIT $2`, p.DealerID, n)
	if err != nil {
		return nil, fmt.Errorf("demo calls: customers: %w", err)
	}
	type cust struct {
		id    int64
		phone string
	}
	custs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cust, error) {
		var c cust
		return c, r.Scan(&c.id, &c.phone)
	})
	if err != nil {
		return nil, fmt.Errorf("demo calls: customers: %w", err)
	}
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed+99))
	res := &CallResult{}
	err = store.WithTx(ctx, db, func(tx pgx.Tx) error {
		k := 0
		for d := p.Days; d >= 1; d-- {
			day := p.Today.AddDate(0, 0, -d)
			for _, agent := range agents {
				for i := 0; i < p.PerAgentPerDay && k < len(custs); i++ {
					c := custs[k]
					k++
					camp := historyCampaigns[rng.IntN(len(historyCampaigns))]
					at := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, loc).
						Add(time.Duration(i*40+rng.IntN(30)) * time.Minute)
					if err := historyCall(ctx, tx, rng, p, day, at, agent, c.id, c.phone, camp.code, camp.priority, camp.text, res); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// historyCall writes one closed task, its reason, the attempt, the outcome and the recording.
func historyCall(ctx context.Context, tx pgx.Tx, rng *rand.Rand, p CallParams, day, at time.Time,
	agent, customer int64, phone, campaign string, priority int, text string, res *CallResult) error {
	outcome, sip := "answered", 200
	switch r := rng.IntN(100); {
	case r < 12:
		outcome, sip = "no_answer", 408
	case r < 20:
		outcome, sip = "busy", 486
	case r < 25:
		outcome, sip = "unreachable", 480
	}
	status, code := "done", ""
	if outcome == "answered" {
		code = []string{"reached", "reached", "reached", "appointment", "appointment", "callback", "refused"}[rng.IntN(7)]
		if code == "refused" {
			status = "cancelled"
		}
	} else {
		status = "unreachable"
	}
	var task int64
	err := tx.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, status, priority, due_day, expires_day,
			campaigns, attempts, attempts_today, last_attempt_day, outcome, created_at, updated_at, closed_at)
		VALUES ($1, $2, $3, $4, $5, $5::date + 7, ARRAY[$6], 1, 1, $5, $7, $8, $8, $8) RETURNING id`,
		p.DealerID, customer, status, priority, day, campaign, code, at).Scan(&task)
	if err != nil {
		return fmt.Errorf("demo calls: task: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence,
			priority, due_day, expires_day, text, status)
		VALUES ($1, $2::bigint, $3, $4, 'demo-history:' || $2::bigint::text, $5, $6, $6::date + 7, $7, 'handled')`,
		p.DealerID, task, customer, campaign, priority, day, text); err != nil {
		return fmt.Errorf("demo calls: reason: %w", err)
	}
	ring := at.Add(time.Duration(1+rng.IntN(3)) * time.Second)
	var answer, end time.Time
	talk := 0
	if outcome == "answered" {
		answer = ring.Add(time.Duration(3+rng.IntN(10)) * time.Second)
		talk = 20 + rng.IntN(40)
		end = answer.Add(time.Duration(talk) * time.Second)
	} else {
		end = ring.Add(30 * time.Second)
	}
	rec := ""
	if outcome == "answered" {
		rec = filepath.Join(p.RecordingsDir, fmt.Sprintf("demo-%d-%d.wav", p.DealerID, task))
		if err := writeDemoWAV(rec, rng, min(talk, 12)); err != nil {
			return fmt.Errorf("demo calls: recording: %w", err)
		}
		res.Recordings++
		res.Answered++
	}
	var attempt int64
	err = tx.QueryRow(ctx, `INSERT INTO call_attempts (dealer_id, task_id, customer_id, agent_user_id, kind, call_id,
			trunk, to_number, invite_at, ring_at, answer_at, end_at, sip_status, sip_reason, hangup_by, outcome, recording_path)
		VALUES ($1, $2, $3, $4, 'agent', $5, 'demo', $6, $7, $8, $9, $10, $11, '', $12, $13, $14) RETURNING id`,
		p.DealerID, task, customer, agent, fmt.Sprintf("demo-%d-%d@huifang", p.DealerID, task), phone,
		at, ring, nilTime(answer), end, sip, map[bool]string{true: "customer", false: "system"}[outcome == "answered"], outcome, rec).Scan(&attempt)
	if err != nil {
		return fmt.Errorf("demo calls: attempt: %w", err)
	}
	res.Attempts++
	if code == "" {
		return nil
	}
	answers := fmt.Sprintf(`{"satisfaction": %d}`, 3+rng.IntN(3))
	if _, err := tx.Exec(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code,
			appointment_at, answers, notes, script_version, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10 || '@0', $11)`,
		p.DealerID, fmt.Sprintf("demo-%d", attempt), task, attempt, agent, code,
		map[bool]any{true: end.AddDate(0, 0, 3), false: nil}[code == "appointment"], answers, "演示数据", campaign, end); err != nil {
		return fmt.Errorf("demo calls: outcome: %w", err)
	}
	return nil
}

func nilTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// writeDemoWAV writes secs seconds of 8 kHz 16-bit stereo PCM: the two parties take turns
// speaking, each as bursts of a voice-like tone (customer left, agent right).
func writeDemoWAV(path string, rng *rand.Rand, secs int) error {
	const rate = 8000
	n := rate * secs
	data := make([]byte, 44+n*4)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+n*4))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)
	binary.LittleEndian.PutUint16(data[22:], 2)
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*4)
	binary.LittleEndian.PutUint16(data[32:], 4)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(n*4))
	agentF, custF := 180.0+float64(rng.IntN(60)), 220.0+float64(rng.IntN(80))
	for i := 0; i < n; i++ {
		t := float64(i) / rate
		turn := int(t/2.5) % 2 // 2.5 s turns, the agent first
		env := math.Max(0, math.Sin(math.Pi*math.Mod(t, 0.3)/0.3))
		v := int16(6000 * env * (math.Sin(2*math.Pi*agentF*t) + 0.4*math.Sin(4*math.Pi*agentF*t)) / 1.4)
		w := int16(6000 * env * (math.Sin(2*math.Pi*custF*t) + 0.4*math.Sin(4*math.Pi*custF*t)) / 1.4)
		var left, right int16
		if turn == 0 {
			right = v
		} else {
			left = w
		}
		binary.LittleEndian.PutUint16(data[44+i*4:], uint16(left))
		binary.LittleEndian.PutUint16(data[46+i*4:], uint16(right))
	}
	return os.WriteFile(path, data, 0o640)
}
