#!/usr/bin/perl
# sisimai_driver.pl - the Sisimai side of bench/bounce_bench.sh: read one
# mbox with Sisimai->make (the call its manual puts first) and write every
# record as one line of JSON, as 'smtpdx bounce --format ndjson' writes
# its records. The count goes to standard error.
#
#   perl bench/sisimai_driver.pl MBOX > records.ndjson
#
# Needs Sisimai 4 (Debian: libsisimai-perl).
use strict;
use warnings;
use Sisimai;

my $path = shift or die "usage: perl sisimai_driver.pl MBOX\n";
my $records = Sisimai->make($path) // [];
for my $r (@$records) {
    print $r->dump('json'), "\n";
}
printf STDERR "sisimai %s: %d records\n", Sisimai->version, scalar @$records;
