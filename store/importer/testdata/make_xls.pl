#!/usr/bin/perl
# make_xls.pl writes the .xls (Excel 97-2003, BIFF8) fixtures of the importer tests with
# Spreadsheet::WriteExcel, a real BIFF8 writer (Debian: libspreadsheet-writeexcel-perl).
# The generated files are committed; run it again only to change them:
#   cd store/importer/testdata && perl make_xls.pl
# The VINs are vin(t, 1..4) of the Go tests (LSVAB2BM?N000000i with its check digit).
use strict;
use warnings;
use utf8;
use Spreadsheet::WriteExcel;

my @header = qw(客户姓名 手机号 性别 车架号 车牌号 品牌 车型 交车日期 行驶里程 里程日期 保险到期日 客户等级 销售顾问);

# owners.xls: a notes sheet first and the data on the second, active sheet, with a title
# row above the header, date cells, dates as text and as plain numbers, phones as number
# cells and a landline as text, an empty row, names outside GBK (BIFF8 is UTF-16) and
# formula cells (a number and a text result), and a text of Latin-1 characters.
{
    my $wb    = Spreadsheet::WriteExcel->new('owners.xls') or die "owners.xls: $!";
    my $date  = $wb->add_format(num_format => 'yyyy-mm-dd');
    my $stamp = $wb->add_format(num_format => 'yyyy-mm-dd hh:mm');
    my $text  = $wb->add_format(num_format => '@');
    my $notes = $wb->add_worksheet('说明');
    $notes->write_string(0, 0, '本文件由经销商管理系统导出');
    $notes->write_string(1, 0, '数据见“车主”表');
    my $ws = $wb->add_worksheet('车主');
    $ws->activate();
    $ws->write_string(0, 0, '车主信息导出 2026-03-10');
    $ws->write_string(1, $_, $header[$_]) for 0 .. $#header;
    # Row 3: mobile as a number cell, date cells, mileage as a number.
    $ws->write_string(2, 0, '张三');
    $ws->write_number(2, 1, 13912345678);
    $ws->write_string(2, 2, '男');
    $ws->write_string(2, 3, 'LSVAB2BM2N0000001');
    $ws->write_string(2, 4, '京A·12345');
    $ws->write_string(2, 5, '大众');
    $ws->write_string(2, 6, '帕萨特');
    $ws->write_date_time(2, 7, '2025-03-01T', $date);
    $ws->write_number(2, 8, 12000);
    $ws->write_date_time(2, 9, '2026-03-01T', $date);
    $ws->write_string(2, 10, '2026/6/30');
    $ws->write_string(2, 11, 'A');
    $ws->write_string(2, 12, '李娜');
    # Row 4: a landline with its leading 0 in a text cell, dates as text, CJK extension A.
    $ws->write_string(3, 0, '赵䶮');
    $ws->write_string(3, 1, '02168889999', $text);
    $ws->write_string(3, 2, '女');
    $ws->write_string(3, 3, 'LSVAB2BM4N0000002');
    $ws->write_string(3, 4, '沪B 54321');
    # A brand of Latin-1 characters only, which BIFF8 stores compressed (one byte each).
    $ws->write_string(3, 5, "Citro\xEBn");
    $ws->write_string(3, 6, '凯美瑞');
    $ws->write_string(3, 7, '2024/3/5');
    $ws->write_formula(3, 8, '=30000+5000', undef, 35000);  # a formula: its cached value is read
    $ws->write_string(3, 11, 'C');
    # Row 5 is left empty.
    # Row 7: a name outside the BMP (a UTF-16 surrogate pair), a date-time cell, a date
    # as a plain number (Excel serial without a date format), a fractional mileage.
    $ws->write_string(5, 0, '𠮷田');
    $ws->write_number(5, 1, 13800000001);
    $ws->write_string(5, 3, 'LSVAB2BM6N0000003');
    $ws->write_string(5, 5, '比亚迪');
    $ws->write_string(5, 6, '汉');
    $ws->write_date_time(5, 7, '2024-05-20T14:30', $stamp);
    $ws->write_number(5, 8, 8000.4);
    $ws->write_number(5, 10, 45717);
    $ws->write_string(5, 11, '潜力');
    # A formula with a text result. ASCII: WriteExcel writes a non-Latin-1 cached result
    # big-endian, against the BIFF8 spec (Excel recalculates it when it opens the file).
    $ws->write_formula(5, 12, '="Wang"&" Fang"', undef, 'Wang Fang');
    $wb->close() or die "owners.xls: $!";
}

# owners_bad.xls: one sheet; row 3 has a phone number cell that is too short, row 4 a
# mileage that is not a number.
{
    my $wb   = Spreadsheet::WriteExcel->new('owners_bad.xls') or die "owners_bad.xls: $!";
    my $date = $wb->add_format(num_format => 'yyyy-mm-dd');
    my $ws   = $wb->add_worksheet('Sheet1');
    $ws->write_string(0, $_, $header[$_]) for 0 .. $#header;
    my @rows = (
        ['张三', 13912345678, 'LSVAB2BM2N0000001', 12000],
        ['李四', 1381234,     'LSVAB2BM4N0000002', 100],
        ['王五', 13800000002, 'LSVAB2BM6N0000003', '很多'],
    );
    for my $i (0 .. $#rows) {
        my ($name, $phone, $vin, $km) = @{ $rows[$i] };
        $ws->write_string($i + 1, 0, $name);
        $ws->write_number($i + 1, 1, $phone);
        $ws->write_string($i + 1, 3, $vin);
        $ws->write_date_time($i + 1, 7, '2025-03-01T', $date);
        if ($km =~ /^\d+$/) { $ws->write_number($i + 1, 8, $km) } else { $ws->write_string($i + 1, 8, $km) }
    }
    $wb->close() or die "owners_bad.xls: $!";
}
