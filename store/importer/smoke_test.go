package importer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/importer"
)

func TestSmokeOwners(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	f := writeFile(t, dir, "owners.csv", csvOf(
		"客户姓名,手机号,车架号,车牌号,品牌,车型,交车日期,行驶里程,里程日期,客户等级",
		"张三,139 1234 5678,"+vin(t, 1)+",京A·12345,大众,帕萨特,2025/3/1,12000,2026年3月1日,A",
		"李四,+86 138-0000-0001,"+vin(t, 2)+",,大众,途观,45000,,,",
	), "gbk")
	res := imp(t, db, importer.Options{}, f)
	t.Logf("%+v", res.Files[0])
	require.False(t, res.Refused())
	require.Equal(t, 2, res.Total.Inserted)
	res = imp(t, db, importer.Options{}, f)
	t.Logf("%+v", res.Files[0])
	require.Equal(t, 2, res.Total.Unchanged)
}
