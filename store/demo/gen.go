package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
)

type generator struct {
	p        Params
	dealerID int64
	loc      *time.Location
	rng      *rand.Rand
	// recallVINs collects the VINs put on the demo recall list.
	recallVINs []string
}

// rows of one batch, in COPY column order.
type batch struct {
	customers, vehicles, visits, showroom, complaints, readings [][]any
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	// givenMale and givenFemale are given names that go with 先生 and 女士.
	givenMale   = []string{"伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "平", "刚", "建华", "文", "华", "建国", "志强", "晓东", "子涵", "浩然", "宇轩", "思远", "俊杰"}
	givenFemale = []string{"芳", "娜", "秀英", "敏", "静", "丽", "艳", "娟", "秀兰", "霞", "桂英", "红", "玉兰", "海燕", "子涵", "欣怡", "梓萱", "佳怡"}
	mobile      = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199"}
	plates      = []string{"沪A", "沪B", "沪C", "沪D", "苏E", "浙A", "沪F", "沪G"}
	// models: brand, model, WMI, 5-character VDS, price band.
	models = [][5]string{
		{"大众", "朗逸", "LSV", "AB2L1", "economy"},
		{"大众", "帕萨特", "LSV", "CF3B7", "lower_mid"},
		{"大众", "途观L", "LSV", "UD5N2", "mid"},
		{"一汽-大众", "迈腾", "LFV", "2A21K", "mid"},
		{"一汽-大众", "速腾", "LFV", "3B15F", "lower_mid"},
		{"本田", "雅阁", "LHG", "CV165", "mid"},
		{"本田", "CR-V", "LVH", "RW184", "mid"},
		{"宝马", "5系", "LBV", "5Y110", "luxury"},
		{"奔驰", "C级", "LE4", "ZF8HB", "luxury"},
	}
	complaintCategories = []string{"维修质量", "服务态度", "等待时间", "配件", "收费"}
	lostReasons         = []string{"价格太高", "品牌不认可", "车型不喜欢", "资金未到位", "无现车", "跟进太慢", "要求不合理", "其他"}
	intentLevels        = []string{"H", "A", "B", "C"}
)

// phone returns the i-th demo mobile number; different i give different numbers.
func phone(i int) string {
	p := len(mobile)
	x := (uint64(i/p)*7919 + 12345) % 100_000_000
	return fmt.Sprintf("%s%08d", mobile[i%p], x)
}

// vin returns a valid VIN for the vehicle with serial n of the given model.
func vin(m [5]string, year int, n int64) string {
	years := "ABCDEFGHJKLMNPRSTVWXY123456789" // 2010 = A
	yc := years[(year-2010+len(years))%len(years)]
	const plants = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
	body := fmt.Sprintf("%s%s0%c%c%06d", m[2], m[3], yc, plants[(n/1_000_000)%int64(len(plants))], n%1_000_000)
	v, err := importer.WithVINCheckDigit(body)
	if err != nil {
		panic(fmt.Sprintf("demo: vin %s: %v", body, err)) // the body above is always well formed
	}
	return v
}

// name returns a full name that goes with title (先生 or 女士; anything else: either).
func (g *generator) name(title string) string {
	given := givenMale
	if title == "女士" || (title != "先生" && g.rng.IntN(2) == 0) {
		given = givenFemale
	}
	return string(surnames[g.rng.IntN(len(surnames))]) + given[g.rng.IntN(len(given))]
}

func (g *generator) day(d time.Time, offset int) time.Time { return d.AddDate(0, 0, offset) }

func (g *generator) at(d time.Time, hour, minute int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, g.loc)
}

func dateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// reserve takes n ids from a sequence.
func reserve(ctx context.Context, db *pgxpool.Pool, seq string, n int) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, seq, n)
	if err != nil {
		return nil, fmt.Errorf("demo: reserve ids from %s: %w", seq, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("demo: reserve ids from %s: %w", seq, err)
	}
	return ids, nil
}

// batch generates customers [start, end).
func (g *generator) batch(ctx context.Context, db *pgxpool.Pool, start, end int) (*batch, error) {
	n := end - start
	cids, err := reserve(ctx, db, "customers_id_seq", n)
	if err != nil {
		return nil, err
	}
	// Up to two vehicles per customer.
	vids, err := reserve(ctx, db, "vehicles_id_seq", 2*n)
	if err != nil {
		return nil, err
	}
	today := g.p.Today
	b := &batch{}
	nv := 0
	for k := 0; k < n; k++ {
		i := start + k
		cid := cids[k]
		title := "先生"
		if g.rng.IntN(5) < 2 {
			title = "女士"
		}
		birthday := time.Date(1960+g.rng.IntN(40), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		if g.rng.IntN(200) == 0 { // some birthdays today
			birthday = time.Date(1960+g.rng.IntN(40), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		}
		consultant := consultants[g.rng.IntN(len(consultants))]
		isOwner := g.rng.IntN(10) < 7
		grade := any(nil)
		status, statusDay, lostReason, intent := "", any(nil), "", ""
		band := ""
		if !isOwner {
			status = "open"
			intent = intentLevels[g.rng.IntN(len(intentLevels))]
			visitDay := g.day(today, -g.rng.IntN(3*365))
			switch r := g.rng.IntN(100); {
			case r < 4: // visited today
				visitDay = today
			case r < 10: // key prospect since a visit before this week's Monday: on this week's list
				status, intent = "key", "H"
				visitDay = g.day(today, -7-g.rng.IntN(21))
				statusDay = visitDay
			case r < 45: // lost, some of them recently
				status = "lost"
				lostReason = lostReasons[g.rng.IntN(len(lostReasons))]
				lost := g.day(visitDay, g.rng.IntN(30))
				if g.rng.IntN(4) == 0 {
					lost = g.day(today, -g.rng.IntN(20))
					if visitDay.After(lost) {
						visitDay = g.day(lost, -g.rng.IntN(20))
					}
				}
				if lost.After(today) {
					lost = today
				}
				statusDay = lost
			case r < 55:
				status = "pre_lost"
				statusDay = g.day(visitDay, 30)
			}
			if sd, ok := statusDay.(time.Time); ok && sd.After(today) {
				statusDay = today
			}
			arrive := g.at(visitDay, 9+g.rng.IntN(9), g.rng.IntN(60))
			left := arrive.Add(time.Duration(20+g.rng.IntN(100)) * time.Minute)
			b.showroom = append(b.showroom, []any{g.dealerID, cid, arrive, left, consultant, intent})
		} else {
			switch r := g.rng.IntN(10); {
			case r < 2:
				grade = "premium"
			case r < 5:
				grade = "potential"
			case r < 9:
				grade = "general"
			}
		}

		if isOwner {
			cars := 1
			if g.rng.IntN(10) == 0 {
				cars = 2
			}
			for c := 0; c < cars; c++ {
				vid := vids[nv]
				nv++
				m := models[g.rng.IntN(len(models))]
				band = m[4]
				age := g.rng.IntN(3 * 365)
				if g.rng.IntN(20) == 0 { // recent deliveries hit the 3-day, 15-day and sales calls
					age = []int{3, 5, 15, 17, 30, 35, 60, 62, 90, 95}[g.rng.IntN(10)]
				}
				delivery := g.day(today, -age)
				warranty := delivery.AddDate(3, 0, 0)
				insurance := delivery
				for insurance.Before(g.day(today, -10)) {
					insurance = insurance.AddDate(1, 0, 0)
				}
				var inspection time.Time
				if g.rng.IntN(2) == 0 {
					inspection = delivery.AddDate(2, 0, 0)
					for inspection.Before(g.day(today, -30)) {
						inspection = inspection.AddDate(2, 0, 0)
					}
				}
				plate := fmt.Sprintf("%s%05d", plates[g.rng.IntN(len(plates))], (int(vid)*7717)%100000)
				v := vin(m, delivery.Year(), vid)
				if g.rng.IntN(100) == 0 {
					g.recallVINs = append(g.recallVINs, v)
				}
				b.vehicles = append(b.vehicles, []any{vid, g.dealerID, cid, v, plate, m[0], m[1], delivery, warranty, insurance, dateOrNil(inspection), consultant})
				g.history(b, vid, cid, delivery, today)
			}
			if g.rng.IntN(50) == 0 {
				opened := g.day(today, -g.rng.IntN(60))
				closed := any(nil)
				if g.rng.IntN(2) == 0 {
					c := g.day(opened, g.rng.IntN(10))
					if !c.After(today) {
						closed = c
					}
				}
				cat := complaintCategories[g.rng.IntN(len(complaintCategories))]
				b.complaints = append(b.complaints, []any{g.dealerID, cid, opened, closed, cat, cat + "问题, 客户来电反映"})
			}
		}
		b.customers = append(b.customers, []any{cid, g.dealerID, g.name(title), title, phone(i), birthday, grade, consultant, status, statusDay, lostReason, intent, band})
	}
	return b, nil
}

// history adds the workshop visits and odometer readings of one vehicle.
func (g *generator) history(b *batch, vid, cid int64, delivery, today time.Time) {
	kmPerDay := 15 + g.rng.IntN(60)
	habit := g.rng.IntN(10) // 0-5 regular, 6-7 lapsing, 8-9 never comes back
	if habit >= 8 {
		return
	}
	stopAfter := 3 * 365
	if habit >= 6 {
		stopAfter = g.rng.IntN(700)
	}
	d := g.day(delivery, 150+g.rng.IntN(40)) // first maintenance around 5-6 months
	first := true
	lastReading := time.Time{}
	for !d.After(today) && int(d.Sub(delivery).Hours()/24) <= stopAfter {
		label := "保养"
		if first {
			label = "首保"
		}
		km := int(d.Sub(delivery).Hours()/24) * kmPerDay
		amount := 380 + g.rng.IntN(900)
		b.visits = append(b.visits, []any{g.dealerID, vid, cid, d, "maintenance", label, int64(amount), km, "服务顾问 " + g.name("")})
		if !d.Equal(lastReading) {
			b.readings = append(b.readings, []any{vid, d, km, "workshop"})
			lastReading = d
		}
		if g.rng.IntN(4) == 0 { // a repair between services
			rd := g.day(d, 20+g.rng.IntN(90))
			if !rd.After(today) {
				kinds := []string{"维修", "钣喷", "事故"}
				rkm := int(rd.Sub(delivery).Hours()/24) * kmPerDay
				b.visits = append(b.visits, []any{g.dealerID, vid, cid, rd, "repair", kinds[g.rng.IntN(3)], int64(500 + g.rng.IntN(5000)), rkm, "服务顾问 " + g.name("")})
				b.readings = append(b.readings, []any{vid, rd, rkm, "workshop"})
				lastReading = rd
			}
		}
		first = false
		d = g.day(d, 300+g.rng.IntN(120))
	}
}

// copy writes the batch.
func (b *batch) copy(ctx context.Context, tx pgx.Tx) error {
	tables := []struct {
		name string
		cols []string
		rows [][]any
	}{
		{"customers", []string{"id", "dealer_id", "name", "title", "phone", "birthday", "grade", "consultant", "prospect_status", "status_day", "lost_reason", "intent_level", "price_band"}, b.customers},
		{"vehicles", []string{"id", "dealer_id", "customer_id", "vin", "plate", "brand", "model", "delivery_day", "warranty_end", "insurance_end", "inspection_due", "consultant"}, b.vehicles},
		{"workshop_visits", []string{"dealer_id", "vehicle_id", "customer_id", "day", "kind", "type_label", "amount", "mileage", "advisor"}, b.visits},
		{"odometer_readings", []string{"vehicle_id", "day", "km", "source"}, b.readings},
		{"showroom_visits", []string{"dealer_id", "customer_id", "arrived_at", "left_at", "consultant", "intent_level"}, b.showroom},
		{"complaints", []string{"dealer_id", "customer_id", "opened_on", "closed_on", "category", "description"}, b.complaints},
	}
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return nil
}

// recall writes a recall list holding about one vehicle in a hundred.
func (g *generator) recall(ctx context.Context, db *pgxpool.Pool) error {
	if len(g.recallVINs) == 0 {
		return nil
	}
	imported := g.day(g.p.Today, -5)
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO recalls (dealer_id, code, title) VALUES ($1, $2, $3)
			ON CONFLICT (dealer_id, code) DO UPDATE SET title = EXCLUDED.title RETURNING id`,
			g.dealerID, "RC-DEMO-01", "制动软管检查召回").Scan(&id)
		if err != nil {
			return fmt.Errorf("demo: recall: %w", err)
		}
		rows := make([][]any, len(g.recallVINs))
		for i, v := range g.recallVINs {
			rows[i] = []any{id, v, imported}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"recall_vehicles"}, []string{"recall_id", "vin", "imported_on"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("demo: recall vehicles: %w", err)
		}
		return nil
	})
}
