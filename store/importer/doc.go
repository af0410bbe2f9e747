// Package importer reads the CSV, XLSX and XLS files a dealer exports from its DMS and
// writes them into the store: owners and vehicles, workshop visits, showroom visits of
// prospects, complaints, recall VIN lists and do-not-call lists.
//
// The kind of a file is recognised from its header row; headers may be Chinese or English
// and the common DMS spellings are accepted (see columns.go). Unknown columns are ignored;
// a missing required column refuses the file. Of an XLSX or XLS workbook, the active sheet
// is read; a title row above the header is skipped. Whether a file is XLSX (a ZIP file),
// XLS (an OLE compound file, Excel 97-2003 BIFF8) or text is told by its content, not its
// name; a .xls that is text (tab-separated, as some DMS write) is read as CSV. Workbook
// cells are read as their raw values in both formats: a number cell as its plain digits
// (a phone stored as a number stays 13912345678), a date cell as its Excel serial number,
// a formula as its last calculated value. Password-protected workbooks, Excel 5.0/95
// files, HTML pages named .xls and damaged files are refused with a message saying which. CSV files may be UTF-8 (with or without a BOM),
// GBK/GB18030 or UTF-16 (comma, tab or semicolon separated). Dates may be 2026-03-01,
// 2026/3/1, 2026.3.1, 2026年3月1日, 20260301 or Excel serial numbers, with an optional time
// part; showroom times are wall clock times in the dealer's zone. Phones are normalised with phone.Normalize and VINs are
// checked with CheckVIN (ISO 3779 check digit, which Chinese-market VINs carry too).
//
// Each file is imported in one transaction: its valid rows are streamed with COPY into a
// temporary staging table (sql/<kind>.sql holds the staging table and the statements), then
// written set-based: UPDATEs and upserts that only touch rows whose values differ, and, for
// owners files, plain INSERTs of the customers and vehicles that do not exist yet (imports of
// one dealer are serialised by an advisory lock). Importing the same file twice inserts and
// updates nothing. BENCH.md has the measured speed. A file with
// any invalid row is refused whole, unless Options.SkipInvalid; every invalid row is
// reported with its spreadsheet row number (the header is row 1), column, value and
// reason. Two rows of a file that describe the same record (the same VIN, the same visit)
// with different data make the later row invalid (with SkipInvalid the first is written).
// Exact duplicate rows are counted as unchanged.
//
// Choices worth knowing:
//   - Empty cells never erase what the store knows; they leave the stored value alone.
//   - An owners row's mileage becomes an odometer reading on its mileage day (里程日期).
//     Without one it is dated the import day, and is only added when the vehicle has no
//     reading as high already: the delivery day would be wrong (a car's current mileage
//     is not its mileage at delivery), and the check keeps re-imports from adding readings.
//   - A phone that appears in an owners file with two different names is an error; the
//     first row of a phone gives the customer's other details. A prospect whose phone
//     appears in an owners file becomes won (成交).
//   - Workshop visits find their vehicle by VIN, or by plate when the VIN is empty and
//     exactly one active vehicle has that plate; other visits are invalid rows.
//     保养/首保/二保/三保/定保 and similar labels are maintenance, all others repair; the
//     visit mileage is also an odometer reading.
//   - Showroom rows create or update a prospect; its status comes from 状态, or from the
//     intent level (H is key, O won, F lost) when there is no status.
//   - Recall lists take their code from a 召回编号 column, Options.RecallCode, or the
//     file name; their VINs are recorded with the import day.
//   - Several files of one run are imported owners first, so that visits, complaints and
//     recalls in the same run find their vehicles.
//
// importer imports only store.
package importer
