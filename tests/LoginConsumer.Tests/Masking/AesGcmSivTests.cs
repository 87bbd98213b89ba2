using LoginConsumer.Masking;

namespace LoginConsumer.Tests.Masking;

/// <summary>AEAD_AES_256_GCM_SIV against the test vectors of RFC 8452, appendix C.2 and C.3 (counter wrap).</summary>
public sealed class AesGcmSivTests
{
    private const string Key1 = "0100000000000000000000000000000000000000000000000000000000000000";
    private const string Nonce1 = "030000000000000000000000";

    [Theory]
    // C.2, no associated data
    [InlineData(Key1, Nonce1, "", "", "07f5f4169bbf55a8400cd47ea6fd400f")]
    [InlineData(Key1, Nonce1, "", "0100000000000000", "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28")]
    [InlineData(Key1, Nonce1, "", "010000000000000000000000", "9aab2aeb3faa0a34aea8e2b18ca50da9ae6559e48fd10f6e5c9ca17e")]
    [InlineData(Key1, Nonce1, "", "0100000000000000000000000000000002000000000000000000000000000000",
        "4a6a9db4c8c6549201b9edb53006cba821ec9cf850948a7c86c68ac7539d027fe819e63abcd020b006a976397632eb5d")]
    // C.2, with associated data
    [InlineData(Key1, Nonce1, "01", "0200000000000000", "1de22967237a813291213f267e3b452f02d01ae33e4ec854")]
    [InlineData(Key1, Nonce1, "010000000000000000000000", "02000000", "22b3f4cd1835e517741dfddccfa07fa4661b74cf")]
    [InlineData(Key1, Nonce1, "010000000000000000000000000000000200", "0300000000000000000000000000000004000000",
        "43dd0163cdb48f9fe3212bf61b201976067f342bb879ad976d8242acc188ab59cabfe307")]
    // C.2, random keys and nonces
    [InlineData("e66021d5eb8e4f4066d4adb9c33560e4f46e44bb3da0015c94f7088736864200", "e0eaf5284d884a0e77d31646", "", "", "169fbb2fbf389a995f6390af22228a62")]
    [InlineData("bae8e37fc83441b16034566b7a806c46bb91c3c5aedb64a6c590bc84d1a5e269", "e4b47801afc0577e34699b9e", "4fbdc66f14", "671fdd",
        "0eaccb93da9bb81333aee0c785b240d319719d")]
    [InlineData("3c535de192eaed3822a2fbbe2ca9dfc88255e14a661b8aa82cc54236093bbc23", "688089e55540db1872504e1c",
        "734320ccc9d9bbbb19cb81b2af4ecbc3e72834321f7aa0f70b7282b4f33df23f167541", "ced532ce4159b035277d4dfbb7db62968b13cd4eec",
        "626660c26ea6612fb17ad91e8e767639edd6c9faee9d6c7029675b89eaf4ba1ded1a286594")]
    // C.3, counter wrap
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
        "000000000000000000000000000000004db923dc793ee6497c76dcc03a98e108",
        "f3f80f2cf0cb2dd9c5984fcda908456cc537703b5ba70324a6793a7bf218d3eaffffffff000000000000000000000000")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
        "eb3640277c7ffd1303c7a542d02d3e4c0000000000000000",
        "18ce4f0b8cb4d0cac65fea8f79257b20888e53e72299e56dffffffff000000000000000000000000")]
    public void SealAndOpen_Rfc8452Vectors(string key, string nonce, string associatedData, string plaintext, string expected)
    {
        var sealedBytes = AesGcmSiv.Seal(Hex(key), Hex(nonce), Hex(associatedData), Hex(plaintext));
        Assert.Equal(expected, Convert.ToHexStringLower(sealedBytes));

        Assert.True(AesGcmSiv.TryOpen(Hex(key), Hex(nonce), Hex(associatedData), sealedBytes, out var opened));
        Assert.Equal(plaintext, Convert.ToHexStringLower(opened));
    }

    [Fact]
    public void TryOpen_OneFlippedBit_IsRejected()
    {
        var sealedBytes = AesGcmSiv.Seal(Hex(Key1), Hex(Nonce1), [], Hex("0100000000000000"));
        sealedBytes[3] ^= 0x01;
        Assert.False(AesGcmSiv.TryOpen(Hex(Key1), Hex(Nonce1), [], sealedBytes, out _));
    }

    [Fact]
    public void TryOpen_OtherAssociatedData_IsRejected()
    {
        var sealedBytes = AesGcmSiv.Seal(Hex(Key1), Hex(Nonce1), "ip"u8.ToArray(), Hex("0100000000000000"));
        Assert.False(AesGcmSiv.TryOpen(Hex(Key1), Hex(Nonce1), "device_id"u8.ToArray(), sealedBytes, out _));
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);
}
