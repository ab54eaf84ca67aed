package flame

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The expected names are binutils' c++filt -s rust (rustc-demangle's
// algorithm) of symbols of a real Criterion benchmark, in the form perf
// prints: without crate hashes and constant types.
var demangleTests = []struct{ sym, want string }{
	{"_ZN9criterion7bencher16Bencher$LT$M$GT$4iter17h0123456789abcdefE", "criterion::bencher::Bencher<M>::iter"},
	{"_ZN100_$LT$criterion..measurement..DurationFormatter$u20$as$u20$criterion..measurement..ValueFormatter$GT$12scale_values17h007d42d31b5d8bc9E",
		"<criterion::measurement::DurationFormatter as criterion::measurement::ValueFormatter>::scale_values"},
	{"_ZN2vm8bench_vm28_$u7b$$u7b$closure$u7d$$u7d$17h86ba2b0b03a7cf5aE.llvm.12891402084700574989", "vm::bench_vm::{{closure}}"},
	{"_ZN14criterion_demo9interpret17h1cd3d7c6df0d7ad6E", "criterion_demo::interpret"},
	{"_RNvXsi_NtCsgEmfK2I1SDS_4core3fmteNtB5_7Display3fmt", "<str as core::fmt::Display>::fmt"},
	{"_RNvNtCslNYArtu3iFV_5alloc5boxed14box_new_uninit", "alloc::boxed::box_new_uninit"},
	{"_RNvMNtNtCsjrHSEGnQ3l9_3std6thread7builderNtB2_7Builder4name", "<std::thread::builder::Builder>::name"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeNtNtCsjrHSEGnQ3l9_3std7process5ChildEBK_", "core::ptr::drop_in_place::<std::process::Child>"},
	{"_RINvMNtNtCsjrHSEGnQ3l9_3std4sync9once_lockINtB3_8OnceLockNtNtB7_2fs4FileE10initializeNCNvNtNtNtB7_3sys6random5linux9getrandom0NtNtNtB7_2io5error5ErrorEB7_",
		"<std::sync::once_lock::OnceLock<std::fs::File>>::initialize::<std::sys::random::linux::getrandom::{closure#0}, std::io::error::Error>"},
	{"_RINvMs4_NtCsgY6Mt91CT9J_14rustc_demangle2v0NtB6_7Printer13print_backrefNCNvB2_11print_consts4_0EB8_",
		"<rustc_demangle::v0::Printer>::print_backref::<<rustc_demangle::v0::Printer>::print_const::{closure#6}>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc3vec3VecINtNtBL_5boxed3BoxDINtNtNtB4_3ops8function6FnOnceuEp6OutputuNtNtB4_6marker4SendEL_EEECsjrHSEGnQ3l9_3std",
		"core::ptr::drop_in_place::<alloc::vec::Vec<alloc::boxed::Box<dyn core::ops::function::FnOnce<(), Output = ()> + core::marker::Send>>>"},
	{"_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVecTOhFUKCBN_EuENtNtCsjrHSEGnQ3l9_3std5alloc6SystemE8grow_oneB13_",
		`<alloc::raw_vec::RawVec<(*mut u8, unsafe extern "C" fn(*mut u8)), std::alloc::System>>::grow_one`},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc5boxed3BoxDG0_INtNtNtB4_3ops8function2FnTRL1_INtNtCsjrHSEGnQ3l9_3std5panic13PanicHookInfoL0_EEEp6OutputuNtNtB4_6marker4SyncNtB2N_4SendEL_EEB1T_",
		"core::ptr::drop_in_place::<alloc::boxed::Box<dyn for<'a, 'b> core::ops::function::Fn<(&'a std::panic::PanicHookInfo<'b>,), Output = ()> + core::marker::Sync + core::marker::Send>>"},
	{"_RINvNtCsgEmfK2I1SDS_4core9panicking13assert_failedAhj4_RShECsjrHSEGnQ3l9_3std", "core::panicking::assert_failed::<[u8; 4], &[u8]>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtB4_6result6ResultuNtNtNtCsjrHSEGnQ3l9_3std2io5error5ErrorEEB19_",
		"core::ptr::drop_in_place::<core::result::Result<(), std::io::error::Error>>"},
	// Not Rust: left as they are.
	{"_ZN4node5StartEiPPc", "_ZN4node5StartEiPPc"},
	{"_ZN4node5StartE", "_ZN4node5StartE"},
	{"main.collatz", "main.collatz"},
	{"_R", "_R"},
	{"_RNvB_3foo", "_RNvB_3foo"}, // a backreference must point backwards
}

func TestDemangle(t *testing.T) {
	for _, tt := range demangleTests {
		if got := demangleAny(tt.sym); got != tt.want {
			t.Errorf("demangle(%q)\n got %q\nwant %q", tt.sym, got, tt.want)
		}
	}
}

// FuzzDemangle checks that no symbol makes the demanglers panic, loop or
// print more than their bound.
func FuzzDemangle(f *testing.F) {
	for _, tt := range demangleTests {
		f.Add(tt.sym)
	}
	f.Fuzz(func(t *testing.T, sym string) {
		if d, ok := demangleRust(sym); ok && !utf8.ValidString(d) && utf8.ValidString(sym) {
			t.Errorf("demangleRust(%q) = %q: not UTF-8", sym, d)
		}
		if d, ok := demangleRustV0(sym); ok && len(d) > v0MaxOutput {
			t.Errorf("demangleRustV0(%q): %d bytes", sym, len(d))
		}
		if strings.HasPrefix(sym, "_R") {
			// Backreferences within the bound: output stays bounded.
			_, _ = demangleRustV0(sym + sym)
		}
	})
}
