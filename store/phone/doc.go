// Package phone owns Huifang's one rule for phone numbers: how a mainland China number,
// as people, DMS exports, SMS gateways and API callers write it (+86 139 1234 5678,
// 008613912345678, 139-1234-5678, 010-88889999, a spreadsheet's 1.3912345678E+10), becomes
// the form the store keeps (Normalize: an 11-digit mobile, or a landline as its area code
// with the leading 0 and the local number), whether a string is in that form (Valid), and
// how a stored number is written for providers that want E.164 (E164).
//
// Every place that takes a number from outside uses Normalize: the importer, showroom
// visits, SMS consent (an opt-out recorded or replied from any of these forms matches the
// number it suppresses), the SMS gateways' replies and reports. It is a leaf package:
// store's subpackages and the rest of the product import it; it imports nothing of
// Huifang.
package phone
